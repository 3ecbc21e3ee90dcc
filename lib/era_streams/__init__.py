"""The faust side of the workers: app construction from settings, the consume → transform →
produce agent with dead-lettering, and the health/metrics pages. Stage logic stays outside."""
