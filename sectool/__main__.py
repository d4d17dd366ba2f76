from sectool.cli import run

run()
