"""Runs one slapos.toolbox promise plugin the way slapgrid's launcher does: a
CPython that imports the plugin module, makes its RunPromise with the
launcher's configuration plus the part's config-* values, and calls sense();
the verdict is what sense() logged (an ERROR record fails), printed as one line.

Usage: plugin.py PARTITION MODULE [KEY=VALUE ...]
       plugin.py collector-db PARTITION DB-FOLDER  (writes the collector's row
       for this minute, which check_free_disk_space reads)
"""

import os
import queue
import sys


def collector_db(partition, folder):
    """The row the node's collector writes every minute for the disk that holds
    the partition: the plugin reads free and used from it, a minute old."""
    import datetime
    import psutil
    from slapos.collect.db import Database

    path, device = os.path.join(partition, "x"), ""
    mounts = {p.mountpoint: p.device for p in psutil.disk_partitions(all=True)}
    while path != "/" and not device:
        path = os.path.dirname(path)
        device = mounts.get(path, "")
    usage = psutil.disk_usage(partition)
    database = Database(folder, create=True)
    database.connect()
    minute = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    for when in (minute, minute + datetime.timedelta(minutes=1), minute + datetime.timedelta(minutes=2)):
        database.insertDiskPartitionSnapshot(device, usage.used, usage.free, path,
                                             when.strftime("%Y-%m-%d"), when.strftime("%H:%M:00"))
    database.commit()
    database.close()


def run(partition, module, settings):
    plugin = __import__("slapos.promise.plugin." + module, fromlist=["RunPromise"])
    config = {
        "partition-folder": partition,
        "partition-id": os.path.basename(partition),
        "computer-id": "COMP-0",
        "path": os.path.join(partition, "etc", "plugin", module + ".py"),
        "name": module + ".py",
        "queue": queue.Queue(),
        "debug": False,
    }
    config.update(settings)
    records = []

    import logging

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    promise = plugin.RunPromise(config)
    promise.logger.addHandler(Keep())
    promise.sense()
    failed = any(r.levelno >= logging.ERROR for r in records)
    message = " ".join(r.getMessage() for r in records).replace("\n", " ")
    print(("ERROR " if failed else "OK ") + message)
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1] == "collector-db":
        collector_db(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit(run(sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])))
