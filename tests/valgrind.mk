# make check-valgrind: the unit and integration suite under valgrind memcheck
# (tests/valgrind.sh), on the normal build (valgrind and the sanitizers do
# not mix), the daemons the integration tests start included. Errors and
# definite or indirect leaks fail it; tests/valgrind.supp says what is
# suppressed and why. Logs: build/valgrind/<program>.<pid>.log. TEST_JOBS
# binaries at once, as in check.
.PHONY: check-valgrind
check-valgrind: deps
	@$(MAKE) --no-print-directory SANITIZE= all-tests
	@BUILD=build TEST_JOBS=$(TEST_JOBS) tests/valgrind.sh $(patsubst $(BUILD)/%,build/%,$(TEST_BINS))
