"""The browser chat: `python ui.py [--host H] [--port P]` (same as `assistant chat`)."""

import sys

from assistant.webapp import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
