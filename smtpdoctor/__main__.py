from smtpdoctor.cli import main

main()
