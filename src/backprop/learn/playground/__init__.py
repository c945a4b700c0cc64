"""`backprop playground`: a local web page that trains a network and steps through backprop.

The server (server.py, needs the optional extra backprop[playground]) owns the Network and trains
it with backprop's own loop; the page in static/ only draws what the server sends. Every call into
the rest of backprop goes through engine.py, so a change of the package layout touches one file.
"""
