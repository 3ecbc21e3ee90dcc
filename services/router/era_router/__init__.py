"""Router service: fans classified adjustments out to the work topics."""
