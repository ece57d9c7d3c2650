/*
 * use.c: declares (DECLARE_SRCU) and uses the srcu_struct of define.c.
 * The flavour-choice test (tests/flavours) links the two compiled as the
 * same flavour, which must work, and as different flavours, which must
 * fail to link.
 */
#include <srcu.h>

DECLARE_SRCU(shared_srcu);

int main(void)
{
	int idx = srcu_read_lock(&shared_srcu);

	srcu_read_unlock(&shared_srcu, idx);
	synchronize_srcu(&shared_srcu);
	return 0;
}
