"""`orders-admin`, a module per command group: arguments.py reads the command line,
stack.py opens what a command acts on, orders.py, accounts.py (users and keys) and
books.py (check) carry the commands out; cli/orders_admin.py runs them."""
