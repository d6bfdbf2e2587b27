from bulkcontacts.cli import main

main()
