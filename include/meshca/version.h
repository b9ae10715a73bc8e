/* The one version string meshca and meshcad report and send. */
#ifndef MESHCA_VERSION_H
#define MESHCA_VERSION_H

#define MESHCA_VERSION "0.1.0"

#endif
