import sys

from cart_recovery.cli import main

sys.exit(main())
