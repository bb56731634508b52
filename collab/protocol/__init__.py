"""The y-websocket wire protocol: frames to typed messages and back, with no I/O."""
