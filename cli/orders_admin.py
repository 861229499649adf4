"""The `orders-admin` command (cli/admin/ holds its groups): `python -m cli.orders_admin`."""

from __future__ import annotations

from cli.admin.app import app, main

__all__ = ["app", "main"]

if __name__ == "__main__":
    main()
