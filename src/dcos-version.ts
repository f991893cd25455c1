/** The DC/OS release whose installer this tool reproduces (the 1.11 branch tip): one constant for every layer. */
export const DCOS_VERSION = '1.11.14-dev';
