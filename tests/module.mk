# test_*.c: unit tests, one per module. it_*.c: integration tests that run the
# real binaries against a real mosquitto on loopback. harness.c: their helpers;
# unit.c: the unit tests' (fake bus, sim rig, temporary folders, assert_near).
UNIT_TESTS += $(wildcard tests/test_*.c)
IT_TESTS += $(wildcard tests/it_*.c)
# faults_*.c: the fault suite, run by make check-faults (not by make check).
FAULT_TESTS += $(wildcard tests/faults_*.c)
TEST_SUPPORT += tests/harness.c tests/unit.c
