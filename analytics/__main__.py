from analytics.cli import main

raise SystemExit(main())
