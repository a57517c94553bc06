// llama.cpp's log goes through here: quiet by default (IIT_LOG=debug|info|warn to see it),
// and the last error lines are kept so a failed call can say why.
#pragma once

#include <string>

void        iit_log_init();
void        iit_log_clear_errors();
std::string iit_log_take_errors(); // the error lines since the last clear, joined by "; "
