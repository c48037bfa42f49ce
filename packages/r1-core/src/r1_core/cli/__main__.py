from r1_core.cli.app import main

main()
