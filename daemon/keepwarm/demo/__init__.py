"""``keepwarm demo``: the whole loop on private loopback servers, with no configuration at all."""
