SENSORD_MAIN += sensord/main.c
SENSORD_SRCS += $(filter-out sensord/main.c,$(wildcard sensord/*.c sensord/sim/*.c))
