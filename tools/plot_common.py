"""Argument checks shared by the plot scripts: -h, a finished run folder of the right method, and
the event file the run read. Each failure is one line naming the folder or file, and exit 1."""
import json
import os
import sys


def help_requested(argv, doc):
    """-h, -help or --help among the arguments: print the script's docstring and exit 0."""
    if any(a in ("-h", "-help", "--help") for a in argv):
        print(doc.strip())
        sys.exit(0)


def run_summary(prog, d, methods):
    """summary.json of run folder d, whose method is one of `methods`."""
    if not os.path.isdir(d):
        sys.exit("%s: error: '%s' is not a folder (give the -out folder of a run)" % (prog, d))
    path = os.path.join(d, "summary.json")
    if not os.path.exists(path):
        hint = ""
        if os.path.isdir(os.path.join(d, "windows")):
            hint = " (a scan run in -window parts: `hadal merge -out %s` first)" % d
        sys.exit("%s: error: '%s' has no summary.json: not a finished run%s" % (prog, d, hint))
    with open(path) as f:
        s = json.load(f)
    if s.get("method") not in methods:
        sys.exit("%s: error: '%s' is a run of method %s, not of %s" % (prog, d, s.get("method"), " or ".join(methods)))
    return s


def check_data(prog, s, d, data):
    """`data` is the event file the run in d read (its summary's `data`): the same file, or one of
    the same name and number of events (a copy). Truth labels of another file would be drawn
    against the run's scores without a sign."""
    import h5py

    if not os.path.isfile(data):
        sys.exit("%s: error: event file '%s' does not exist" % (prog, data))
    ran = s.get("data", "")
    same = ran and os.path.exists(ran) and os.path.samefile(ran, data)
    if not same and os.path.basename(ran) != os.path.basename(data):
        sys.exit("%s: error: the run in '%s' read '%s', not '%s'" % (prog, d, ran, data))
    with h5py.File(data, "r") as f:
        n = f["events/label"].shape[0] if "events/label" in f else -1
    if "events" in s and n != s["events"]:
        sys.exit("%s: error: '%s' has %d events, the run in '%s' read %d" % (prog, data, n, d, s["events"]))
