import sys

from .stimuli import main

sys.exit(main())
