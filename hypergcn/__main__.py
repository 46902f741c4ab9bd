from hypergcn.cli import main

raise SystemExit(main())
