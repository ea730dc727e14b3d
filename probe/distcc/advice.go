package distcc

import (
	"fmt"
	"maps"
	"slices"
)

// configAdvice says what to do about each Config* kind.
var configAdvice = map[string]string{
	ConfigPumpPreprocessed:  `distcc in pump mode got files that were already preprocessed ("cannot use distcc_pump on already preprocessed file"): ccache runs in front of distcc and hands it preprocessed files (ccache before 3.3, or run_second_cpp = false / CCACHE_NOCPP2), so pump cannot help; use pump with CC="distcc gcc", or plain distcc behind ccache (CCACHE_PREFIX=distcc)`,
	ConfigPumpIncludeEnv:    "distcc pump preprocessed locally because CPATH, C_INCLUDE_PATH or CPLUS_INCLUDE_PATH is set; unset them for pump mode",
	ConfigPumpNotRunning:    "distcc has ,cpp hosts but the build does not run under pump (INCLUDE_SERVER_PORT not set); use --pump or wrap the command in pump",
	ConfigPumpIncludeServer: "distcc pump's include server could not list some files' includes, so they were preprocessed locally",
	ConfigPumpNeedsLZO:      "a ,cpp host has no ,lzo: pump mode needs both (HOST,cpp,lzo)",
	ConfigNoHosts:           "distcc found no host list, so every compile ran locally; pass --hosts or set DISTCC_HOSTS",
	ConfigUnsupported:       "some files cannot be distributed (unsupported directives such as .incbin) and compile locally at every -j",
}

// ConfigWarnings turns the Config counts of one build into warnings, one
// per kind in a fixed order, each saying what to do about it. The count is
// left out so that the same warning from several builds is shown once.
func ConfigWarnings(config map[string]int) []string {
	var out []string
	for _, kind := range slices.Sorted(maps.Keys(config)) {
		msg, ok := configAdvice[kind]
		if !ok {
			msg = fmt.Sprintf("distcc warned about its setup (%s)", kind)
		}
		out = append(out, "configuration: "+msg)
	}
	return out
}
