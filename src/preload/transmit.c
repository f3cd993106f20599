/*
 * The table of transmissions this build knows (see transmit.h): file and
 * syslog. A new one adds its ops here; the config names it.
 */
#include "transmit.h"

#include <string.h>

static const struct transmit_ops *const transmissions[] = {
	&transmit_file_ops,
	&transmit_syslog_ops,
};

const struct transmit_ops *transmit_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(transmissions) / sizeof(transmissions[0]); i++)
		if (!strcmp(transmissions[i]->name, name))
			return transmissions[i];
	return NULL;
}
