"""The GitHub adapter (PyGithub): PR lookup, the sticky comment, the merge gate, image assets."""
