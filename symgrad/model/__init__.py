"""Networks: the graph of scalar nodes and its builder, activations and ops (each
carrying its own properties), layers, initialisations, data, unit swaps and sizes."""
