/* Example header of the example artifacts set. */
#define EXAMPLE_TOOLS_VERSION "0.1.0"
