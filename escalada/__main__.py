from __future__ import annotations

from escalada.cli import main

if __name__ == "__main__":
    main()
