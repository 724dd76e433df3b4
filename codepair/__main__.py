from codepair.cli import main

raise SystemExit(main())
