import sys

from sess.cli import main

sys.exit(main())
