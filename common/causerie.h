/* causerie.h: the whole protocol library in one include. */
#pragma once

#include "cz-error.h"
#include "cz-util.h"
#include "cz-crypto.h"
#include "cz-dh.h"
#include "cz-frame.h"
#include "cz-message.h"
#include "cz-cert.h"
#include "cz-tls.h"
#include "cz-channel.h"
#include "cz-scram.h"
#include "cz-store.h"
#include "cz-server.h"
#include "cz-client.h"
#include "cz-cli.h"
#include "cz-json.h"
