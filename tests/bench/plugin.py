"""Runs slapos.toolbox's check_command_execute plugin once, as slapgrid's promise
process does: import the plugin module, configure it, call sense(); then prints
what it logged and exits 1 if that was an error (slapgrid's verdict).

Usage: plugin.py COMMAND  (with a Python that has slapos.toolbox installed)
"""

import queue
import sys

from slapos.promise.plugin.check_command_execute import RunPromise


def main(command):
    promise = RunPromise({
        "path": __file__,
        "name": "check-command-bench.py",
        "partition-folder": ".",
        "log-folder": None,
        "queue": queue.Queue(),
        "debug": False,
        "command": command,
    })
    promise.sense()
    # Without a log folder the plugin logs into a buffer, as in slapgrid's tests.
    logged = promise._GenericPromise__logger_buffer.getvalue().strip()
    print(logged)
    return 1 if " - ERROR - " in logged or not logged else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
