import sys

from madoguchi.cli.main import main

sys.exit(main())
