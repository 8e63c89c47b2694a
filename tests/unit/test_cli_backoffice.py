"""The back-office reference client's command line: bad input is refused before anything is sent."""
import pytest

from ventanilla.cli import parser
from ventanilla.cli_backoffice import cancellation, set_state


def test_set_state_and_cancellation_parse_to_their_handlers():
    args = parser().parse_args(["backoffice", "set-state", "2527", "CONTABILIZADA", "--motivo", "ok"])
    assert (args.handler, args.id, args.estado, args.motivo) == (set_state, 2527, "CONTABILIZADA", "ok")
    args = parser().parse_args(["backoffice", "cancellation", "2527", "reject", "--message-id", "m-1"])
    assert (args.handler, args.verdict, args.message_id) == (cancellation, "reject", "m-1")


@pytest.mark.parametrize("argv", [
    ["backoffice", "set-state", "2527", "PAGADO"],
    ["backoffice", "set-state", "0", "PAGADA"],
    ["backoffice", "set-state", "dos", "PAGADA"],
    ["backoffice", "cancellation", "2527", "maybe"],
])
def test_bad_input_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as ended:
        parser().parse_args(argv)
    assert ended.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_projections_rebuild_is_registered():
    assert parser().parse_args(["projections", "rebuild"]).batch == 5000
