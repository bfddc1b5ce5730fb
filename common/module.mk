COMMON_SRCS += $(wildcard common/*.c)
