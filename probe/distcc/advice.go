package distcc

import (
	"fmt"
)

// configAdvice says what to do about each Config* kind.
var configAdvice = map[string]string{
	ConfigPumpPreprocessed:  `distcc in pump mode got files that were already preprocessed ("cannot use distcc_pump on already preprocessed file"): ccache runs in front of distcc and hands it preprocessed files (ccache before 3.3, or run_second_cpp = false / CCACHE_NOCPP2), so pump cannot help; use pump with CC="distcc gcc", or plain distcc behind ccache (CCACHE_PREFIX=distcc)`,
	ConfigPumpIncludeEnv:    "distcc pump preprocessed locally because CPATH, C_INCLUDE_PATH or CPLUS_INCLUDE_PATH is set; unset them for pump mode",
	ConfigPumpNotRunning:    "distcc has ,cpp hosts but the build does not run under pump (INCLUDE_SERVER_PORT not set); run the build under pump (distcc-pump on Debian)",
	ConfigPumpIncludeServer: "distcc pump's include server could not list some files' includes, so they were preprocessed locally",
	ConfigPumpNeedsLZO:      "a ,cpp host has no ,lzo: pump mode needs both (HOST,cpp,lzo)",
	ConfigNoHosts:           "distcc found no host list, so every compile ran locally; give distcc its hosts (DISTCC_HOSTS or a hosts file)",
	ConfigUnsupported:       "some files cannot be distributed (unsupported directives such as .incbin) and compile locally at every -j",
}

// ConfigAdvice says what a Config* kind means and what to do about it.
func ConfigAdvice(kind string) string {
	if msg, ok := configAdvice[kind]; ok {
		return msg
	}
	return fmt.Sprintf("distcc warned about its setup (%s)", kind)
}
