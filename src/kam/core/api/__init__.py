"""The API toolkit every app's router uses: JSON errors, keyset pagination, schema types.

It sits in ``core`` (the bottom layer) so that routers import it from below; the aggregator
``kam.api`` (the NinjaAPI object, auth, tokens, the export router) sits on top and imports the
routers. ``errors.install`` is called on the NinjaAPI object by the aggregator.
"""
