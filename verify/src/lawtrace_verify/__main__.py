import sys

from lawtrace_verify.cli import main

sys.exit(main())
