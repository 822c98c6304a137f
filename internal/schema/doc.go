// Package schema holds the value types shared by every layer of ragline:
// documents and their structure, chunks, citations and the response
// contract of a question. It owns no behaviour beyond small helpers on
// those values and must not import any other ragline package.
package schema
