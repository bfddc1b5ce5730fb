COLLECTOR_MAIN += $(wildcard collector/main.c)
COLLECTOR_SRCS += $(filter-out collector/main.c,$(wildcard collector/*.c))
