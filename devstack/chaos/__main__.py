from devstack.chaos.run import main

main()
