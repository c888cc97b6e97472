"""datapkg: annotated argumentative essays published as a Frictionless Data Package and RDF."""

__version__ = "0.1.0"
