"""What the Python suites share: TAP-like reporting and running the tests."""
import os
import sys

failures = []
passed = []


def check(name, condition, detail=""):
    """Report one check; a failed one is remembered and shown with its detail."""
    if condition:
        passed.append(name)
        print(f"ok - {name}")
    else:
        failures.append(name)
        print(f"not ok - {name} {detail}")


def run(tests):
    """Run the test functions in order (each announced by its docstring) and exit 0 if all passed.
    DBX_TESTS, if set, names the only test functions to run (comma-separated)."""
    only = os.environ.get("DBX_TESTS")
    for test in tests:
        if only and test.__name__ not in only.split(","):
            continue
        print(f"# {test.__doc__.splitlines()[0] if test.__doc__ else test.__name__}")
        test()
    print(f"# {len(failures)} failed" if failures else "# all passed")
    print(f"# {os.path.basename(sys.argv[0])}: {len(passed)} checks passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
