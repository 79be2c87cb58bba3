"""Hypothesis stateful machines that drive an implementation (the model, Wine, the Linux
kernel) and check each observation online: the machine and its Winsock rules
(`machine`), the Linux rules (`linux`)."""
