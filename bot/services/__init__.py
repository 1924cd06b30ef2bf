"""Services: what handlers, jobs and the command line ask for, in plain async functions."""
