"""What every service shares to run: the one engine (the transactional consume → produce loop
with dead-lettering), the one host (faust: lifecycle, signals, logging, web views) and JSON
logging. Stage logic stays in the services."""
