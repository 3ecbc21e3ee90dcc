"""Classifier service: CARC/RARC knowledge base and the classifier stream."""
