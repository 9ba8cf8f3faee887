# libgovern.a: the pure library (module/lib, no nginx symbol), built once
# per flavour of compiler flags and linked by the nginx module, the CLIs,
# the unit tests, the fuzzers and the conformance runner.
#
# The including Makefile sets GOVERN_LIB_DIR (where the objects and the
# archive go), GOVERN_LIB_CC and GOVERN_LIB_CFLAGS, then depends on
# $(GOVERN_LIB).  Sources are listed once, in module/lib/SOURCES.

# the including Makefile's first target stays its default
GOVERN_LIB_GOAL  := $(.DEFAULT_GOAL)

GOVERN_LIB_SRC   := $(dir $(lastword $(MAKEFILE_LIST)))
GOVERN_LIB_SRCS  := $(addprefix $(GOVERN_LIB_SRC),\
                        $(shell cat $(GOVERN_LIB_SRC)SOURCES))
GOVERN_LIB_OBJS  := $(patsubst $(GOVERN_LIB_SRC)%.c,$(GOVERN_LIB_DIR)/%.o,\
                        $(GOVERN_LIB_SRCS))
GOVERN_LIB       := $(GOVERN_LIB_DIR)/libgovern.a
GOVERN_LIB_LIBS  := -ljansson -lexpat -lcrypto -lpcre2-8 -lm

$(GOVERN_LIB): $(GOVERN_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

# header dependencies come from the compiler (-MMD): editing a header
# rebuilds what includes it
$(GOVERN_LIB_DIR)/%.o: $(GOVERN_LIB_SRC)%.c
	@mkdir -p $(GOVERN_LIB_DIR)
	$(GOVERN_LIB_CC) $(GOVERN_LIB_CFLAGS) -I$(GOVERN_LIB_SRC) -MMD -MP \
	    -c -o $@ $<

-include $(GOVERN_LIB_OBJS:.o=.d)

.DEFAULT_GOAL := $(GOVERN_LIB_GOAL)
