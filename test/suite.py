"""What the Python suites share: TAP-like reporting and running the tests."""
import sys

failures = []


def check(name, condition, detail=""):
    """Report one check; a failed one is remembered and shown with its detail."""
    if condition:
        print(f"ok - {name}")
    else:
        failures.append(name)
        print(f"not ok - {name} {detail}")


def run(tests):
    """Run the test functions in order (each announced by its docstring) and exit 0 if all passed."""
    for test in tests:
        print(f"# {test.__doc__.splitlines()[0] if test.__doc__ else test.__name__}")
        test()
    print(f"# {len(failures)} failed" if failures else "# all passed")
    sys.exit(1 if failures else 0)
