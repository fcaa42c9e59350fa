"""Why an action on a case was not taken: the errors core.workorders.workflow raises (and the modules
it applies, core.workorders.department), each with the HTTP status a page answers with."""


class WorkflowError(Exception):
    status = 422

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class NotAllowed(WorkflowError):
    status = 403


class Conflict(WorkflowError):
    status = 409
